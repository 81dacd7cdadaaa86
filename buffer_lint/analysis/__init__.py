"""Facts about a file's source, computed once on the stdlib ``ast`` and read by every rule (see ``facts``)."""
