"""The one decision step: findings and the envelope in, one verdict out."""
