"""The streaming shell: the only code that talks to Kafka (kafka-python producers and
consumers, the Faust app). Detectors run here unchanged from the embedded runner."""
