CREATE TABLE IF NOT EXISTS `orders` (
  `__key__` STRING,
  `__value__` STRING,
  `__partition__` BIGINT,
  `__headers__` STRING,
  `__offset__` BIGINT,
  `__timestamp__` BIGINT
)
PARTITIONED BY (`ds` STRING)
LIFECYCLE 36500;
