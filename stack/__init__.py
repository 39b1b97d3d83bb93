"""The several-machine stack on one machine: Redis, nginx, two application servers, a streaming
read replica and an S3-compatible object store, each a real server on 127.0.0.1 (``make stack``)."""
