"""The panel draw: quotas, a fair lottery (LEXIMIN) with a public seed, and replacements."""
