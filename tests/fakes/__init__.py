"""Local stand-ins for the chat platforms, speaking their real protocols.

They are real servers on 127.0.0.1 that the real client libraries talk to;
they are not mocks of the libraries.
"""
