"""One module per input format; :mod:`dingmi.reader` chooses among them by file suffix."""
