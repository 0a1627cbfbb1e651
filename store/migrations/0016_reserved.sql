-- Reserved: this number belongs to another branch's migration (issue 17:
-- 0015 is G1's, 0016 the AI helper's). This placeholder changes nothing;
-- delete it when that migration is merged.
SELECT 1;
