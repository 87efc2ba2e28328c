CREATE TABLE IF NOT EXISTS `orders` (
  `__key__` STRING COMMENT 'Kafka record key',
  `__value__` STRING COMMENT 'Kafka record value',
  `__partition__` BIGINT COMMENT 'Kafka partition',
  `__headers__` STRING COMMENT 'Kafka record headers as a JSON object',
  `__offset__` BIGINT COMMENT 'Kafka offset',
  `__timestamp__` BIGINT COMMENT 'Kafka record timestamp, epoch milliseconds'
)
PARTITIONED BY (`ds` STRING)
LIFECYCLE 36500;

