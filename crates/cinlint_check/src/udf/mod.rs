//! Functions the rules call that SQL cannot say cleanly. Each lives in its own module with its
//! tests; all are row-wise and registered through [`RowUdf`].

mod code_list;
mod dates;
mod upn;

use arrow::array::ArrayRef;
use arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};
use std::fmt;

/// A row-wise function: arguments are cast to `arg_types`, then `eval` maps the arrays.
/// Two functions are equal when their names are (names are unique).
pub struct RowUdf {
    name: &'static str,
    arg_types: Vec<DataType>,
    returns: DataType,
    signature: Signature,
    eval: fn(&[ArrayRef]) -> Result<ArrayRef>,
}

impl PartialEq for RowUdf {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for RowUdf {}

impl std::hash::Hash for RowUdf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl fmt::Debug for RowUdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RowUdf({})", self.name)
    }
}

impl RowUdf {
    pub fn new(name: &'static str, arg_types: Vec<DataType>, returns: DataType, eval: fn(&[ArrayRef]) -> Result<ArrayRef>) -> Self {
        let signature = Signature::any(arg_types.len(), Volatility::Immutable);
        Self { name, arg_types, returns, signature, eval }
    }

    /// Runs the function on arrays (used by unit tests).
    pub fn call(&self, args: &[ArrayRef]) -> Result<ArrayRef> {
        let cast: Vec<ArrayRef> = args
            .iter()
            .zip(&self.arg_types)
            .map(|(a, t)| arrow::compute::cast(a, t))
            .collect::<std::result::Result<_, _>>()?;
        (self.eval)(&cast)
    }
}

impl ScalarUDFImpl for RowUdf {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.returns.clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let all_scalar = args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let result = self.call(&arrays)?;
        if all_scalar {
            Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&result, 0)?))
        } else {
            Ok(ColumnarValue::Array(result))
        }
    }
}

/// Every cinlint function, ready to register on a session.
pub fn all() -> Vec<ScalarUDF> {
    [
        code_list::in_code_list(),
        upn::upn_check_letter(),
        dates::working_days_before(),
        dates::is_weekend(),
        dates::age_at(),
        dates::add_days(),
        dates::add_months(),
        dates::add_years(),
    ]
    .into_iter()
    .map(ScalarUDF::new_from_impl)
    .collect()
}
