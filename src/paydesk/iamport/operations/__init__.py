"""Every i'mport operation as a pure flow: build the request(s), parse the answer.

One module per operation group.  The clients bind these functions as methods
(``surface.py``), so each docstring here is also the client method's.
"""
