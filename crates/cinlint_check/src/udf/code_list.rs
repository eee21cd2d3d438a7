//! `in_code_list('<list>', value) -> boolean`: membership in a DfE code list (NULL for NULL).

use super::RowUdf;
use arrow::array::{Array, ArrayRef, BooleanArray, StringArray};
use arrow::datatypes::DataType;
use cinlint_model::code_lists::code_list;
use datafusion::error::{DataFusionError, Result};
use std::sync::Arc;

pub fn in_code_list() -> RowUdf {
    RowUdf::new("in_code_list", vec![DataType::Utf8, DataType::Utf8], DataType::Boolean, eval)
}

fn eval(args: &[ArrayRef]) -> Result<ArrayRef> {
    let lists = args[0].as_any().downcast_ref::<StringArray>().expect("cast to Utf8");
    let values = args[1].as_any().downcast_ref::<StringArray>().expect("cast to Utf8");
    let mut out = Vec::with_capacity(values.len());
    for i in 0..values.len() {
        if values.is_null(i) || lists.is_null(i) {
            out.push(None);
            continue;
        }
        let name = lists.value(i);
        let list = code_list(name).ok_or_else(|| DataFusionError::Plan(format!("in_code_list: no code list named `{name}`")))?;
        out.push(Some(list.contains(values.value(i))));
    }
    Ok(Arc::new(BooleanArray::from(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn membership() {
        let udf = in_code_list();
        let lists: ArrayRef = Arc::new(StringArray::from(vec!["ethnicity"; 3]));
        let values: ArrayRef = Arc::new(StringArray::from(vec![Some("WBRI"), Some("XXXX"), None]));
        let out = udf.call(&[lists, values]).unwrap();
        let out = out.as_any().downcast_ref::<BooleanArray>().unwrap();
        assert_eq!(out.iter().collect::<Vec<_>>(), vec![Some(true), Some(false), None]);
        let bad: ArrayRef = Arc::new(StringArray::from(vec!["nope"]));
        let v: ArrayRef = Arc::new(StringArray::from(vec!["x"]));
        assert!(udf.call(&[bad, v]).is_err());
    }
}
