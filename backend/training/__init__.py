"""Step-by-step training with staged access (issue 14).

The pure core: ``content`` (course folders to frozen data, docs/training-content.md),
``markdown`` (lesson text to safe HTML), ``gating`` (which steps a person may take now) and
``quiz`` (what the page may see, scoring, attempts). None of them touches the database or the
clock: the service passes facts and dates in.
"""
