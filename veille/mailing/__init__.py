"""The e-mailed letter: numbered issues and their content, delivery through an outbox."""
