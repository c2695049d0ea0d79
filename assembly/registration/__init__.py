"""Registration (aanmelden): the public form, the personal link and the form's settings."""
