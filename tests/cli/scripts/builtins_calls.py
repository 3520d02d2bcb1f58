"""Builtins and methods of builtin types: c_call, c_return, c_exception."""

words = "b,a,c".split(",")
ordered = sorted(words, key=lambda word: word.upper())
largest = max(len(word) for word in words)
mapping = dict(zip(words, range(3)))
found = mapping.get("a"), isinstance(mapping, dict)
words.append("d")
try:
    min([])
except ValueError:
    found = None
squares = sum(map(abs, [-1, -2, 3]))
