"""The respondent pool (aanmeldingen): the organisers' view of everyone who registered."""
