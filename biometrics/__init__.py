"""Face pipeline on the server, protected templates, enrollment, matching, evaluation."""
