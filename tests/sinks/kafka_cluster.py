"""A Kafka cluster for the tests: librdkafka's mock cluster (inside the confluent-kafka wheel), which
speaks the Kafka protocol on a port of its own. No Kafka broker installs on this machine.

`python -m tests.sinks.kafka_cluster` prints the cluster's bootstrap address and holds the cluster
until its standard input closes. A test pauses it (SIGSTOP: a broker that stops answering) and resumes it.
"""

import sys

from confluent_kafka import Producer


def main() -> None:
    holder = Producer({"test.mock.num.brokers": 1, "log_level": 0})
    broker = next(iter(holder.list_topics(timeout=10).brokers.values()))
    print(f"{broker.host}:{broker.port}", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
