-- The language a desk account reads the dashboard in (zh-CN or en), chosen on its account
-- page or by the language switch; none: the browser's choice. Set as the fk_lang cookie at
-- login.
ALTER TABLE dispatchers ADD COLUMN language TEXT
    CHECK (language IS NULL OR language IN ('zh-CN', 'en'));
