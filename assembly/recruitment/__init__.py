"""Recruitment (werving): the address list, the invitation lottery and the letters."""
