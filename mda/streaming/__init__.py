"""The streaming shell: the only code that talks to Kafka (the ingest's batching producer,
the workers' aiokafka consumer group, kafka-python admin and readers). Detectors run here
unchanged from the embedded runner."""
