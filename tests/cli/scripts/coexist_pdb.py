"""Steps through its own function with pdb, driven by a script of
commands, and prints pdb's output."""
import io
import pdb


def work(n):
    a = n + 1
    b = a * 2
    return b


out = io.StringIO()
debugger = pdb.Pdb(stdin=io.StringIO("step\nnext\nnext\np b\ncontinue\n"),
                   stdout=out, nosigint=True)
debugger.use_rawinput = False
result = debugger.runcall(work, 3)
print(out.getvalue().replace(__file__, "FILE"))
print(result)
