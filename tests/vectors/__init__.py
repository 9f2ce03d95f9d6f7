"""Test vectors shared by the Python reference SDK and the web client (``clients/web``)."""
