-- xinwen cluster, node 0 of 2 (manticore), table set news
-- xinwen backend config --engine manticore --nodes 10.0.0.1:9306,10.0.0.2:9306 --node 0 --data /var/lib/manticore --table news
-- before the first start: mkdir -p /var/lib/manticore && printf '_\n' > /var/lib/manticore/stopwords.txt
-- searchd.conf (RT mode: no index sections; the tables are created below):
--   searchd
--   {
--       listen = 10.0.0.1:9306:mysql41
--       listen = 10.0.0.1:9312
--       workers = threads
--       pid_file = /var/lib/manticore/searchd.pid
--       log = /var/lib/manticore/searchd.log
--       query_log = /var/lib/manticore/query.log
--       binlog_path = /var/lib/manticore
--       max_packet_size = 8M
--       read_timeout = 5
--       data_dir = /var/lib/manticore
--   }
-- then run these statements on the node: mysql -h 10.0.0.1 -P 9306 < FILE
CREATE TABLE IF NOT EXISTS news_a_0 (title_s text indexed, tags_s text indexed, body_s text indexed, title_w text indexed, body_w text indexed, title_c text indexed, tags_c text indexed, body_c text indexed, title_l text indexed, lit text indexed, keys text indexed, xid string, title string, body string, url string, source string, tags string, categories string, date bigint, hash bigint, title_key bigint, dated uint, tag_ids multi64, category_ids multi64) charset_table='0..9, a..z, _, U+3040..U+30FF, U+3400..U+4DBF, U+4E00..U+9FFF, U+AC00..U+D7A3' min_word_len='1' dict='keywords' stopwords='/var/lib/manticore/stopwords.txt' stopword_step='1' index_field_lengths='1' rt_mem_limit='256M';
CREATE TABLE IF NOT EXISTS news_b_0 (title_s text indexed, tags_s text indexed, body_s text indexed, title_w text indexed, body_w text indexed, title_c text indexed, tags_c text indexed, body_c text indexed, title_l text indexed, lit text indexed, keys text indexed, xid string, title string, body string, url string, source string, tags string, categories string, date bigint, hash bigint, title_key bigint, dated uint, tag_ids multi64, category_ids multi64) charset_table='0..9, a..z, _, U+3040..U+30FF, U+3400..U+4DBF, U+4E00..U+9FFF, U+AC00..U+D7A3' min_word_len='1' dict='keywords' stopwords='/var/lib/manticore/stopwords.txt' stopword_step='1' index_field_lengths='1' rt_mem_limit='256M';
CREATE TABLE IF NOT EXISTS news_a type='distributed' local='news_a_0' agent='10.0.0.2:9312:news_a_1' agent_connect_timeout='300' agent_query_timeout='2000';
CREATE TABLE IF NOT EXISTS news_b type='distributed' local='news_b_0' agent='10.0.0.2:9312:news_b_1' agent_connect_timeout='300' agent_query_timeout='2000';
CREATE TABLE IF NOT EXISTS news_meta (note text indexed, live string);
