//! `upn_check_letter(upn) -> text`: the check letter a UPN must start with (permanent or
//! temporary UPN; NULL for any other shape), as `cinlint_model::code_lists::upn_check_letter`.

use super::RowUdf;
use arrow::array::{ArrayRef, StringArray};
use arrow::datatypes::DataType;
use datafusion::error::Result;
use std::sync::Arc;

pub fn upn_check_letter() -> RowUdf {
    RowUdf::new("upn_check_letter", vec![DataType::Utf8], DataType::Utf8, eval)
}

fn eval(args: &[ArrayRef]) -> Result<ArrayRef> {
    let upns = args[0].as_any().downcast_ref::<StringArray>().expect("cast to Utf8");
    let out: StringArray = upns
        .iter()
        .map(|u| u.and_then(cinlint_model::code_lists::upn_check_letter).map(|c| c.to_string()))
        .collect();
    Ok(Arc::new(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters() {
        let upns: ArrayRef = Arc::new(StringArray::from(vec![Some("X201000000001"), Some("T20100000000A"), Some("T2010000000AA"), None]));
        let out = upn_check_letter().call(&[upns]).unwrap();
        let out = out.as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(out.iter().collect::<Vec<_>>(), vec![Some("Y"), Some("J"), None, None]);
    }
}
