PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE items (
	id INTEGER NOT NULL, 
	"key" VARCHAR(200) NOT NULL, 
	kind VARCHAR(16) NOT NULL, 
	title TEXT NOT NULL, 
	department VARCHAR(100) NOT NULL, 
	region VARCHAR(100) NOT NULL, 
	effective_date DATE, 
	expiry_date DATE, 
	status VARCHAR(16) NOT NULL, 
	version INTEGER NOT NULL, 
	live_version INTEGER, 
	source TEXT NOT NULL, 
	doc_number VARCHAR(100) NOT NULL, 
	doc_date DATE, 
	fields JSON NOT NULL, 
	content_hash VARCHAR(64) NOT NULL, 
	abolish_reason TEXT NOT NULL, 
	successor_id INTEGER, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE ("key")
);
INSERT INTO items VALUES(1,'qa-test-1','qa','社保卡丢了怎么补办？','示例市人力资源和社会保障局','示例市',NULL,NULL,'published',1,1,'','',NULL,'{"question": "社保卡丢了怎么补办？", "answer": "携带身份证到任一社保经办网点挂失补办。"}','ed9c403e9dd55f3acc7e9f3ea3ca0a0f3a7f9cb0bf6527bb90e4a0d7d7121375','',NULL,'2026-12-03 09:17:35.693898','2026-12-03 09:17:35.693898');
CREATE TABLE item_versions (
	id INTEGER NOT NULL, 
	item_id INTEGER NOT NULL, 
	version INTEGER NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	snapshot JSON NOT NULL, 
	actor VARCHAR(100) NOT NULL, 
	note TEXT NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO item_versions VALUES(1,1,1,'published','{"kind": "qa", "title": "社保卡丢了怎么补办？", "fields": {"question": "社保卡丢了怎么补办？", "answer": "携带身份证到任一社保经办网点挂失补办。"}, "key": "qa-test-1", "department": "示例市人力资源和社会保障局", "region": "示例市", "effective_date": null, "expiry_date": null, "status": "published", "source": "", "doc_number": "", "doc_date": null}','system','','2026-12-03 09:17:35.695503');
CREATE TABLE ingested_files (
	path VARCHAR(500) NOT NULL, 
	sha256 VARCHAR(64) NOT NULL, 
	ingested_at DATETIME NOT NULL, 
	PRIMARY KEY (path)
);
CREATE TABLE changes (
	seq INTEGER NOT NULL, 
	item_id INTEGER NOT NULL, 
	at DATETIME NOT NULL, 
	PRIMARY KEY (seq)
);
INSERT INTO changes VALUES(1,1,'2026-12-03 09:17:35.695503');
CREATE TABLE passage_vectors (
	model VARCHAR(64) NOT NULL, 
	digest VARCHAR(40) NOT NULL, 
	vector BLOB NOT NULL, 
	PRIMARY KEY (model, digest)
);
CREATE TABLE gold_questions (
	id INTEGER NOT NULL, 
	department VARCHAR(100) NOT NULL, 
	question TEXT NOT NULL, 
	item_id INTEGER NOT NULL, 
	created_by VARCHAR(64) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO gold_questions VALUES(1,'示例市人力资源和社会保障局','社保卡丢了怎么办',1,'cli','2026-12-03 09:17:35.701873');
CREATE TABLE users (
	username VARCHAR(64) NOT NULL, 
	password_hash VARCHAR(200) NOT NULL, 
	role VARCHAR(16) NOT NULL, 
	department VARCHAR(100) NOT NULL, 
	active BOOLEAN NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (username)
);
INSERT INTO users VALUES('editor1','$argon2id$v=19$m=65536,t=3,p=4$R1VKQcy7dotEzEGtGDQtqQ$rIEWmXaetgUvQYKTd2uIIezooKDISFvc6HSRF7oy1Xk','editor','',1,'2026-12-03 09:17:35.828103');
CREATE TABLE sessions (
	token VARCHAR(64) NOT NULL, 
	username VARCHAR(64) NOT NULL, 
	csrf VARCHAR(64) NOT NULL, 
	expires_at DATETIME NOT NULL, 
	PRIMARY KEY (token)
);
CREATE TABLE audit_log (
	id INTEGER NOT NULL, 
	time DATETIME NOT NULL, 
	actor VARCHAR(64) NOT NULL, 
	action VARCHAR(64) NOT NULL, 
	target VARCHAR(200) NOT NULL, 
	ip VARCHAR(64) NOT NULL, 
	"before" JSON, 
	"after" JSON, 
	note TEXT NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO audit_log VALUES(1,'2026-12-03 09:17:35.830156','cli','user.add','editor1','','null','{"username": "editor1", "role": "editor", "department": ""}','');
CREATE TABLE conversations (
	id VARCHAR(100) NOT NULL, 
	channel VARCHAR(20) NOT NULL, 
	status VARCHAR(10) NOT NULL, 
	department VARCHAR(100) NOT NULL, 
	operator VARCHAR(64) NOT NULL, 
	waiting_since DATETIME, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO conversations VALUES('web-1','web','bot','','',NULL,'2026-12-03 09:17:35.839830','2026-12-03 09:17:35.839836');
CREATE TABLE messages (
	seq INTEGER NOT NULL, 
	conversation_id VARCHAR(100) NOT NULL, 
	role VARCHAR(10) NOT NULL, 
	text TEXT NOT NULL, 
	payload JSON NOT NULL, 
	time DATETIME NOT NULL, 
	PRIMARY KEY (seq)
);
INSERT INTO messages VALUES(1,'web-1','citizen','社保卡丢了怎么补办？','{}','2026-12-03 09:17:35.840871');
CREATE TABLE work_orders (
	id INTEGER NOT NULL, 
	tracking_number VARCHAR(32) NOT NULL, 
	conversation_id VARCHAR(100) NOT NULL, 
	type VARCHAR(20) NOT NULL, 
	content TEXT NOT NULL, 
	address TEXT NOT NULL, 
	phone VARCHAR(40) NOT NULL, 
	callback BOOLEAN NOT NULL, 
	department VARCHAR(100) NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (tracking_number)
);
CREATE TABLE feedback (
	id INTEGER NOT NULL, 
	conversation_id VARCHAR(100) NOT NULL, 
	helpful BOOLEAN NOT NULL, 
	question TEXT NOT NULL, 
	answer TEXT NOT NULL, 
	sources JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE pii_vault (
	id INTEGER NOT NULL, 
	conversation_id VARCHAR(100) NOT NULL, 
	masked VARCHAR(60) NOT NULL, 
	raw VARCHAR(60) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE question_log (
	id INTEGER NOT NULL, 
	time DATETIME NOT NULL, 
	question TEXT NOT NULL, 
	normalized VARCHAR(500) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	confidence FLOAT NOT NULL, 
	item_id INTEGER, 
	item_key VARCHAR(200) NOT NULL, 
	item_title TEXT NOT NULL, 
	department VARCHAR(100) NOT NULL, 
	routed_department VARCHAR(100) NOT NULL, 
	channel VARCHAR(20) NOT NULL, 
	conversation_id VARCHAR(100) NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE answer_flags (
	id INTEGER NOT NULL, 
	time DATETIME NOT NULL, 
	operator VARCHAR(64) NOT NULL, 
	question TEXT NOT NULL, 
	kind VARCHAR(10) NOT NULL, 
	item_id INTEGER, 
	note TEXT NOT NULL, 
	department VARCHAR(100) NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE question_vectors (
	"key" VARCHAR(40) NOT NULL, 
	vector BLOB NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY ("key")
);
CREATE INDEX ix_items_status ON items (status);
CREATE INDEX ix_items_kind ON items (kind);
CREATE INDEX ix_items_department ON items (department);
CREATE INDEX ix_item_versions_item_id ON item_versions (item_id);
CREATE INDEX ix_gold_questions_item_id ON gold_questions (item_id);
CREATE INDEX ix_gold_questions_department ON gold_questions (department);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE INDEX ix_messages_conversation_id ON messages (conversation_id);
CREATE INDEX ix_pii_vault_conversation_id ON pii_vault (conversation_id);
CREATE INDEX ix_question_log_time ON question_log (time);
CREATE INDEX ix_question_log_normalized ON question_log (normalized);
CREATE INDEX ix_question_log_conversation_id ON question_log (conversation_id);
CREATE INDEX ix_answer_flags_time ON answer_flags (time);
COMMIT;
