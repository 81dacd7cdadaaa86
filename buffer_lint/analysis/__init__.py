"""Facts about a module's source, computed once on the stdlib ``ast`` and read by every rule."""
