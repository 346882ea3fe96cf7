"""How `marginalia serve` meets the network: whole requests are read by an event loop
before a Flask thread sees them.

    limits.py       the read deadlines and size caps (ReadLimits), the open-file limit
    problems.py     problem+json answers written before Flask runs (400/408/413/414/431)
    protocol.py     gunicorn's asyncio HTTP/1.1 protocol with a header deadline and cap
    bridge.py       the ASGI app that buffers the body, then runs Flask on a thread pool
    threads.py      that pool: a queue of requests, each answer one callback on the loop
    slow_clients.py one log line counting the connections cut for being slow or too big
    worker.py       the gunicorn worker class tying them together

docs/serving.md says why this design and not another server.
"""
