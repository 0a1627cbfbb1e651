-- Reserved: number 15 belongs to another branch's migration (see the merge
-- notes). This placeholder changes nothing; delete it when that migration
-- is merged.
SELECT 1;
