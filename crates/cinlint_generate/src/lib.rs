//! Deterministic synthetic CIN census returns (XML) and SSD exports, with injected defects, for tests, benchmarks and sample data.
//!
//! Children follow realistic case paths (referral, assessment, CIN plan, section 47 enquiry,
//! initial conference, child protection plan with reviews, step-down, closure; episodes carried
//! in from earlier years; several episodes per child; unborn children; rare deaths). The same
//! [`GenerateOptions`] always give the same bytes: there is no clock, and every child draws from
//! its own PRNG stream (xoshiro256** seeded through SplitMix64), so the output does not depend on
//! anything but the options. The XML is streamed child by child, so a 700,000-child return never
//! sits in memory.
//!
//! # A clean return breaks no DfE rule
//!
//! With `defect_rate` 0 the return is built to pass every rule of `dfe-rules.tsv` (2023-24 to
//! 2025-26 rule sets, under both the DfE reading and the reference validator's reading where the
//! two differ), and the module-5 rules of the provisional 2026-27 set. Guarded explicitly:
//!
//! * Header and identifiers: 100; 1510, 1520, 1530, 1540, 1550, 1560Q (UPNs built with the check
//!   letter of `upn_check_letter`, an LA code from the `la_code` list, and a permuted, never
//!   repeated number); 1570, 1580, 8500, 8510 (`C` + LA + a permuted number); 4180, 8750, 2886Q
//!   (Sex `U` only for unborn children and at most 1% of the others); 4220; 8520, 8525Q, 8530Q
//!   (expected birth dates within R−29 days … R+9 months−1 day); 8535Q, 8545Q, 8555Q, 8585Q,
//!   4008, 4009Q, 8915, 8920 (a death closes the last episode with RC2 after all activity);
//!   8770Q, 8772 (UN1 only under school age, UN7 only when every episode is NFA); 8775Q.
//! * Disabilities: 8540, 8790, 8794; 2887Q and 2888Q, both readings, for files of at least 14
//!   children (the first 14 children carry all 12 codes, two per child, and 8 `NONE` rows).
//! * Episodes: 8590, 8600, 8606, 8610, 8620, 8630, 8640, 8650, 8805, 8810, 8815, 8816, 8820
//!   (episodes never touch: a new referral comes at least 7 days after the previous closure;
//!   only the latest episode may be open), 8866, 8568, 8569Q (a no-further-action referral in
//!   the return is never before the period start rolled to a working day), 8565 (closure on or
//!   after every activity), 2990, 8825Q, 8831, 8832, 4000 (NFA referrals carry nothing; RC8/RC9
//!   only after an assessment with nothing else).
//! * Assessments: 1103, 8608, 8614, 8696, 8736, 8670Q (an assessment still open at R starts on
//!   or after the 45-working-day threshold), 8863Q, 8896 (assessments follow each other, at most
//!   the last is open), 8867, 8869, 8873Q (factor 21 alone, only on a single-assessment RC8/RC9
//!   episode), 8897Q, 8898, 8945Q, 8950Q, 2991Q (every enquiry has an assessment beside it).
//! * CIN plans: 4001, 4003 (both readings), 4004, 4010, 4011, 4012Q, 4013, 4014, 4015, 4016, 4017
//!   (a plan escalated to child protection ends on the conference day, a step-down plan starts
//!   on the protection plan's end day, plans never touch each other).
//! * Section 47: 1104, 2889, 8615, 8675Q, 8715, 8740, 8839, 8868, 8870Q, 8875 (conferences and
//!   targets on working days), 8890, 2884 (conference dates at CIN level only for a protection
//!   plan carried in from before the period, whose enquiry is not in the return).
//! * Child protection plans: 1105, 2883, 2885 (each plan starting in the period starts on its own
//!   conference day), 8720, 8730, 8840, 8841, 8842Q, 8905, 8910, 8925, 8930, 8935, 8940 (first
//!   review within 3 months of the start, then at most every 6 months).
//! * 2026-27 module 5 (`PreProceedingsandFGDM`, files for 2026 and later): 8995Q (at least one
//!   block), 9000Q, 9005–9010Q, 9012, 9013, 9015Q.
//!
//! # Defects
//!
//! With probability `defect_rate` a child gets one defect from [`DEFECT_KINDS`] (93 kinds, each
//! aimed at one DfE rule); each is returned as an [`InjectedDefect`]. A kind that does not fit
//! the child (a plan defect on a child without plans) is skipped: kinds are tried in a random
//! order, so the kind is uniform among those that fit. The aimed rule fires on that child
//! (checked by this crate's tests with an independent implementation of every rule); other rules
//! may fire too, as on real data (e.g. two open CIN plans also overlap, 4004 + 4014).
//!
//! # SSD export
//!
//! [`write_ssd_export`] writes the same children (same options → same children, `pers_person_id`
//! = LAchildID) as a Standard Safeguarding Dataset CSV folder with the extension tables
//! `ext_cin_reviews` and `ext_household`; its defects ([`SSD_DEFECT_KINDS`]) aim at cinlint's own
//! check families (socio-economic data, reviews and visits, plan overlaps, durations) and at DfE
//! rules that survive the SSD → census mapping.

mod child;
mod dates;
mod defects;
mod rng;
mod ssd;
mod xml;

use child::{generate_child, Ctx, GenState};
use rng::Rng;
use std::io::{self, Write};

pub use ssd::write_ssd_export;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Number of `<Child>` elements.
    pub children: usize,
    pub seed: u64,
    /// The submitting LA's 3-digit code (header `LEA`, LAchildID prefix, UPN LA code when valid).
    pub la: String,
    pub year: cinlint_model::CollectionYear,
    /// Share of children given one defect, `0.0..=1.0`.
    pub defect_rate: f64,
}

/// One defect put into the output on purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectedDefect {
    /// The DfE rule code the defect is aimed at (`"8840"`, `"8825Q"`).
    pub rule: String,
    /// The LAchildID (as written, after the defect) of the child that got it.
    pub child: Option<String>,
    /// The defect kind, e.g. `cpp_same_day`.
    pub kind: String,
}

/// Every defect kind of the census XML menu with the rule it is aimed at.
pub const DEFECT_KINDS: &[(&str, &str)] = defects::DEFECTS;

/// Every defect kind of the SSD export menu with its target: a DfE rule code, or one of
/// cinlint's own check families (`SES`, `REV`, `PLN`, `DUR`).
pub const SSD_DEFECT_KINDS: &[(&str, &str)] = ssd::SSD_DEFECTS;

fn check_options(opts: &GenerateOptions) -> io::Result<()> {
    if opts.la.len() != 3 || !opts.la.bytes().all(|b| b.is_ascii_digit()) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("LA code `{}` is not 3 digits", opts.la),
        ));
    }
    if !(0.0..=1.0).contains(&opts.defect_rate) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("defect rate {} is not within 0..=1", opts.defect_rate),
        ));
    }
    if !(1990..=2100).contains(&opts.year.end_year) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("collection year {} is out of range", opts.year),
        ));
    }
    Ok(())
}

/// The children of a run, clean, in order (shared by the XML and the SSD writers).
pub(crate) struct ChildStream<'a> {
    ctx: &'a Ctx,
    state: GenState,
    next: usize,
}

impl<'a> ChildStream<'a> {
    pub fn new(ctx: &'a Ctx) -> Self {
        ChildStream {
            ctx,
            state: GenState::default(),
            next: 0,
        }
    }
}

impl Iterator for ChildStream<'_> {
    type Item = child::Child;
    fn next(&mut self) -> Option<child::Child> {
        if self.next >= self.ctx.children {
            return None;
        }
        let c = generate_child(self.ctx, &mut self.state, self.next);
        self.next += 1;
        Some(c)
    }
}

/// Streams the XML to `out` (do not build the whole document in memory: must handle 700,000
/// children ≈ 900 MB at > 100 MB/s in release), returns the defects injected.
pub fn write_census_xml(
    opts: &GenerateOptions,
    out: &mut impl Write,
) -> io::Result<Vec<InjectedDefect>> {
    check_options(opts)?;
    let ctx = Ctx::new(opts.children, opts.seed, &opts.la, opts.year);
    let mut writer = xml::XmlWriter::new(&ctx);
    let mut injected = Vec::new();
    let mut previous_upn: Option<String> = None;
    writer.header(&ctx);
    for mut child in ChildStream::new(&ctx) {
        if opts.defect_rate > 0.0 {
            let mut rng = Rng::for_item(opts.seed, child.idx as u64, 1);
            if rng.chance(opts.defect_rate) {
                if let Some(k) =
                    defects::inject(&ctx, &mut rng, &mut child, previous_upn.as_deref())
                {
                    let (kind, rule) = defects::DEFECTS[k];
                    injected.push(InjectedDefect {
                        rule: rule.to_string(),
                        child: Some(child.id.clone()),
                        kind: kind.to_string(),
                    });
                }
            }
        }
        writer.child(&ctx, &child);
        // A later duplicate-UPN defect copies a UPN as written, and only an unaltered one.
        if child.upn.is_some() && child.upn == child.clean_upn {
            previous_upn = child.upn.take();
        }
        if writer.buf.len() >= 1 << 16 {
            out.write_all(&writer.buf)?;
            writer.buf.clear();
        }
    }
    writer.footer();
    out.write_all(&writer.buf)?;
    out.flush()?;
    Ok(injected)
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_ssd;
