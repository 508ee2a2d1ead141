"""Files in and out: memories imported from a file-based store or a provider's chat export,
and exported back to the store's format.

``jsonstream`` reads a JSON array one element at a time; ``records`` validates a record and
encodes it for binary COPY; ``loader`` writes encoded batches under row-level security;
``nodes`` and ``chat`` are the two formats built on them.
"""
