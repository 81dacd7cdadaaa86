"""The rules: one module ``bufNNN_<name>.py`` each (see ``base``), found by ``registry``."""
