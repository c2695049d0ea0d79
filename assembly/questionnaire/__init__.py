"""What registrants are asked: the category questions and their options (the categories
of the panel draw, with population shares) and the session dates they can come on.

Registration asks these, the respondent pool counts them, and the draw draws on them; all
three read them through this package.
"""
