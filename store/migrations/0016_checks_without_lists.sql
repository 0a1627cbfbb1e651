-- The value checks of tickets and messages as comparisons, not IN lists.
-- SQLite evaluates a CHECK of "x IN (a, b, c, d)" (more than two constant
-- values) by building a temporary b-tree of the list on every INSERT, and
-- on every UPDATE of x: five of them for each new ticket (status, priority
-- and channel, then the first message's author_type and channel), about a
-- tenth of the CPU time of CreateTicket. "x = a OR x = b OR ..." accepts
-- exactly the same values (the columns are NOT NULL and compared in the
-- same collation) and costs a few comparisons.
--
-- A CHECK cannot be changed with ALTER TABLE, and rebuilding tickets would
-- delete every row that refers to it (foreign keys are on here). The
-- constraint's text is rewritten in place instead, as SQLite documents for
-- CHECK changes (lang_altertable.html, "other kinds of table schema
-- changes"): the rows already satisfy the new, equal, constraint. RESET
-- makes this connection parse the schema again.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(replace(replace(sql,
    'CHECK (status IN (''open'', ''pending'', ''solved'', ''closed''))',
    'CHECK (status = ''open'' OR status = ''pending'' OR status = ''solved'' OR status = ''closed'')'),
    'CHECK (priority IN (''low'', ''normal'', ''high'', ''urgent''))',
    'CHECK (priority = ''low'' OR priority = ''normal'' OR priority = ''high'' OR priority = ''urgent'')'),
    'CHECK (channel IN (''portal'', ''chat'', ''api'', ''email''))',
    'CHECK (channel = ''portal'' OR channel = ''chat'' OR channel = ''api'' OR channel = ''email'')')
WHERE type = 'table' AND name = 'tickets';
UPDATE sqlite_schema SET sql = replace(replace(sql,
    'CHECK (author_type IN (''customer'', ''staff'', ''bot'', ''system''))',
    'CHECK (author_type = ''customer'' OR author_type = ''staff'' OR author_type = ''bot'' OR author_type = ''system'')'),
    'CHECK (channel IN (''portal'', ''email'', ''chat'', ''api''))',
    'CHECK (channel = ''portal'' OR channel = ''email'' OR channel = ''chat'' OR channel = ''api'')')
WHERE type = 'table' AND name = 'messages';
PRAGMA writable_schema = RESET;
