CREATE TABLE IF NOT EXISTS `topic_a` (
  `__key__` STRING COMMENT 'The key of a Kafka message.',
  `__value__` STRING COMMENT 'The value of a Kafka message.',
  `__partition__` BIGINT,
  `__headers__` STRING COMMENT 'it\'s "quoted" \\ with a backslash\nand a newline',
  `__offset__` BIGINT,
  `__timestamp__` BIGINT
)
COMMENT 'synced from Kafka topic topic_a'
PARTITIONED BY (`ds` STRING)
LIFECYCLE 36500;
