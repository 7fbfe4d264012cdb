"""Where a grading run happens: a hardened container, or plain local subprocesses."""
