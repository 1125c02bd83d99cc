//! lyceum's generator library: `config::load` → `content::discover` → `front_matter::split`
//! → `render` → `bundle::write`.

pub mod token;
