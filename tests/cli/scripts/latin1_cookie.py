# -*- coding: latin-1 -*-
"""A latin-1 source file (PEP 263)."""
text = "café à la crème"
print(ascii(text))
