"""Allocations for test_allocations.py's sampling test: lines that
allocate 16 MB or more (kept, or churned), in blocks of 30 to 1100
bytes."""
keep = []
def big(n):
    for i in range(n):
        keep.append(bytearray(1000 + i % 100))
def small(n):
    for i in range(n):
        keep.append("x" * (30 + i % 20))
def churn(n):
    for i in range(n):
        t = [bytearray(200) for _ in range(10)]
big(20000); small(120000); churn(20000)
