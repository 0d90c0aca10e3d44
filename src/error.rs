//! Errors (to be written)
