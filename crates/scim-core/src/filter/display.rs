//! Prints a filter back as RFC 7644 filter text; `parse(display(f)) == f`. PLACEHOLDER.
