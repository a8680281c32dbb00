"""A module that makes the process importing it hang at exit (an exit handler that never returns):
what a preloaded module's teardown does to multiprocessing's fork server, in the extreme."""

import atexit
import threading

atexit.register(threading.Event().wait)
