"""Experiments that ship with seedwise, so that the documentation's commands work anywhere.

``seedwise run seedwise.examples.sequence:train --repeats 30 --set epochs=100``
"""
