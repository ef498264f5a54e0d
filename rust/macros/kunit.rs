// SPDX-License-Identifier: GPL-2.0

//! Procedural macro to run KUnit tests written in Rust.
//!
//! `#[kunit_tests(suite)]` turns the `#[test]` functions of a module into the cases of a KUnit
//! suite, registered like the C `kunit_test_suite()` macro does. See `kunit_tests` in `lib.rs`
//! for the user documentation.

use crate::helpers::expect_end;
use proc_macro::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};
use std::fmt::Write;

/// Returns the `assert!` and `assert_eq!` overrides that report to KUnit on behalf of `name`.
///
/// The definitions shadow the ones of `core` for the items that follow them in the module: the
/// asserts then fail the running KUnit case instead of panicking. The line and file of a failed
/// assertion are those of the `assert!` itself, since `line!()` and `file!()` resolve to the
/// outermost macro call.
fn assert_macros(name: &str) -> TokenStream {
    format!(
        r#"
        /// Overrides the usual [`assert!`] macro with one that calls KUnit instead.
        #[allow(unused_macros)]
        macro_rules! assert {{
            ($cond:expr $(,)?) => {{{{
                kernel::kunit_assert!("{name}", file!(), 0, $cond);
            }}}};
        }}

        /// Overrides the usual [`assert_eq!`] macro with one that calls KUnit instead.
        #[allow(unused_macros)]
        macro_rules! assert_eq {{
            ($left:expr, $right:expr $(,)?) => {{{{
                kernel::kunit_assert_eq!("{name}", file!(), 0, $left, $right);
            }}}};
        }}
        "#
    )
    .parse()
    .unwrap()
}

/// Gives every token of `ts` the location `span`.
fn respan(ts: TokenStream, span: Span) -> TokenStream {
    ts.into_iter()
        .map(|tt| match tt {
            TokenTree::Group(group) => {
                let mut new = Group::new(group.delimiter(), respan(group.stream(), span));
                new.set_span(span);
                TokenTree::Group(new)
            }
            mut tt => {
                tt.set_span(span);
                tt
            }
        })
        .collect()
}

/// Returns whether `group` is the `[test]` of a `#[test]` attribute.
fn is_test_attr(group: &Group) -> bool {
    let mut it = group.stream().into_iter();
    group.delimiter() == Delimiter::Bracket
        && matches!(it.next(), Some(TokenTree::Ident(ident)) if ident.to_string() == "test")
        && it.next().is_none()
}

/// Returns the predicate of `group` if it is the `[cfg(...)]` of a `#[cfg(...)]` attribute.
fn cfg_predicate(group: &Group) -> Option<TokenStream> {
    let mut it = group.stream().into_iter();
    match (group.delimiter(), it.next(), it.next(), it.next()) {
        (
            Delimiter::Bracket,
            Some(TokenTree::Ident(ident)),
            Some(TokenTree::Group(predicate)),
            None,
        ) if ident.to_string() == "cfg" && predicate.delimiter() == Delimiter::Parenthesis => {
            Some(predicate.stream())
        }
        _ => None,
    }
}

/// Returns the name the cases report as their module, as C's `KUNIT_CASE()` does with
/// `KBUILD_MODNAME`: the name of the object being built, from the `RUST_MODFILE` that Kbuild
/// passes to the compiler, or none (the crates of `rust/`, such as `kernel`).
fn module_name() -> Option<String> {
    let modfile = std::env::var("RUST_MODFILE").ok()?;
    let name = modfile.rsplit('/').next()?;
    (!name.is_empty()).then(|| name.replace('-', "_"))
}

/// Returns the name of the KUnit case for the test function `name`.
///
/// A raw identifier (`r#name`) names the case `name`.
fn case_name(name: &Ident) -> String {
    let name = name.to_string();
    name.strip_prefix("r#").unwrap_or(&name).to_owned()
}

/// Returns the name of the function of the item that starts at `items[0]`, if it is one.
///
/// `items[0]` is just after the `#[test]` attribute, so it may be another attribute, the
/// visibility or a qualifier of the function.
fn fn_name(items: &[TokenTree]) -> Option<Ident> {
    let mut it = items.iter();
    while let Some(tt) = it.next() {
        match tt {
            TokenTree::Ident(ident) if ident.to_string() == "fn" => {
                return match it.next() {
                    Some(TokenTree::Ident(name)) => Some(name.clone()),
                    _ => None,
                };
            }
            // The end of an item that is not a function.
            TokenTree::Punct(punct) if punct.as_char() == ';' => return None,
            TokenTree::Group(group) if group.delimiter() == Delimiter::Brace => return None,
            _ => (),
        }
    }
    None
}

pub(crate) fn kunit_tests(attr: TokenStream, ts: TokenStream) -> TokenStream {
    let mut attr_it = attr.into_iter();
    let suite = match attr_it.next() {
        Some(TokenTree::Ident(ident)) => ident.to_string(),
        _ => panic!("expected `#[kunit_tests(suite_name)]`"),
    };
    expect_end(&mut attr_it);

    let mut tokens: Vec<_> = ts.into_iter().collect();

    // The body of the module is its last token tree: `mod name { ... }`.
    let body = match tokens.pop() {
        Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Brace => group,
        _ => panic!("`#[kunit_tests]` must be applied to a module with a body"),
    };
    if !tokens
        .iter()
        .any(|tt| matches!(tt, TokenTree::Ident(ident) if ident.to_string() == "mod"))
    {
        panic!("`#[kunit_tests]` must be applied to a module");
    }

    let items: Vec<_> = body.stream().into_iter().collect();
    let mut new_body = TokenStream::new();
    let mut tests = Vec::new();
    let mut i = 0;

    // Inner attributes (`#![...]`) must stay first in the module.
    while let [TokenTree::Punct(hash), TokenTree::Punct(bang), TokenTree::Group(group), ..] =
        &items[i..]
    {
        if hash.as_char() != '#' || bang.as_char() != '!' {
            break;
        }
        new_body.extend([
            TokenTree::Punct(hash.clone()),
            TokenTree::Punct(bang.clone()),
            TokenTree::Group(group.clone()),
        ]);
        i += 3;
    }

    // Code that is not part of a test, such as helpers, reports failures on behalf of the suite.
    new_body.extend(assert_macros(&suite));

    // The outer attributes of the next item, held back until the item starts since the asserts of
    // a test must go before them.
    let mut attrs: Vec<TokenTree> = Vec::new();
    // The `#[cfg(...)]` predicates among them.
    let mut cfgs: Vec<TokenStream> = Vec::new();
    let mut test = None;
    while i < items.len() {
        if let [TokenTree::Punct(hash), TokenTree::Group(group), ..] = &items[i..] {
            if hash.as_char() == '#' && group.delimiter() == Delimiter::Bracket {
                if is_test_attr(group) {
                    // `#[test]` is dropped: the function becomes a KUnit case instead.
                    let name = fn_name(&items[i + 2..])
                        .expect("`#[test]` must be applied to a function in `#[kunit_tests]`");
                    test = Some(name);
                } else {
                    cfgs.extend(cfg_predicate(group));
                    attrs.extend([items[i].clone(), items[i + 1].clone()]);
                }
                i += 2;
                continue;
            }
        }

        // The item starts here.
        if let Some(name) = test.take() {
            new_body.extend(assert_macros(&case_name(&name)));
            tests.push((name, core::mem::take(&mut cfgs)));
        }
        cfgs.clear();
        new_body.extend(attrs.drain(..));
        new_body.extend([items[i].clone()]);
        i += 1;
    }
    // Attributes at the end of the module are left for the compiler to reject.
    new_body.extend(attrs);

    // Generates, for tests `foo` and `bar`, where `bar` has a `#[cfg(CONFIG_BAR)]`:
    //
    // ```
    // unsafe extern "C" fn kunit_rust_wrapper_foo(test: *mut kernel::bindings::kunit) { ... }
    // unsafe extern "C" fn kunit_rust_wrapper_bar(test: *mut kernel::bindings::kunit) {
    //     #[cfg(not(all(CONFIG_BAR)))]
    //     unsafe { (*test).status = kernel::bindings::kunit_status_KUNIT_SKIPPED };
    //     #[cfg(all(CONFIG_BAR))]
    //     { ... }
    // }
    //
    // static mut KUNIT_TEST_CASES: [kernel::bindings::kunit_case; 3] = [
    //     kernel::bindings::kunit_case {
    //         module_name: ...,
    //         ..kernel::kunit::kunit_case(kernel::c_str!("foo"), kunit_rust_wrapper_foo)
    //     },
    //     kernel::bindings::kunit_case { ... },
    //     kernel::kunit::kunit_case_null(),
    // ];
    //
    // kernel::kunit_unsafe_test_suite!(suite, KUNIT_TEST_CASES);
    // ```
    let module_name = module_name();
    let mut test_cases = String::new();
    for (name, cfgs) in &tests {
        let test = name.to_string();
        let case = case_name(name);
        let wrapper = format!("kunit_rust_wrapper_{case}");

        // The failure of a test that returns an error is reported at the test function.
        let mut check: TokenStream = "use kernel::kunit::IsTestResultOk;".parse().unwrap();
        check.extend(respan(
            format!(
                "kernel::kunit_assert!(\"{case}\", file!(), 0, \
                 IsTestResultOk::is_test_result_ok(&{test}()));"
            )
            .parse()
            .unwrap(),
            name.span(),
        ));

        // A test that its `#[cfg]` leaves out is a skipped case, as in mainline.
        let body = if cfgs.is_empty() {
            check
        } else {
            let mut all = TokenStream::new();
            for (n, cfg) in cfgs.iter().enumerate() {
                if n > 0 {
                    all.extend(",".parse::<TokenStream>().unwrap());
                }
                all.extend(cfg.clone());
            }
            let mut body: TokenStream = format!(
                "
                #[cfg(not(all({all})))]
                // SAFETY: KUnit passes the running test, which is valid for the call.
                unsafe {{ (*test).status = kernel::bindings::kunit_status_KUNIT_SKIPPED }};
                #[cfg(all({all}))]
                "
            )
            .parse()
            .unwrap();
            body.extend([TokenTree::Group(Group::new(Delimiter::Brace, check))]);
            body
        };

        let wrapper_fn: TokenStream = format!(
            r#"
            /// Runs `{case}` as a KUnit case, failing the case if it returns an error.
            ///
            /// # Safety
            ///
            /// Only KUnit may call this, as the `run_case` of the case: a failed assertion ends
            /// the running KUnit test thread without unwinding the stack of the caller.
            #[allow(unused_variables)]
            unsafe extern "C" fn {wrapper}(test: *mut kernel::bindings::kunit)
            "#
        )
        .parse()
        .unwrap();
        new_body.extend(wrapper_fn);
        new_body.extend([TokenTree::Group(Group::new(Delimiter::Brace, body))]);

        // Like `KUNIT_CASE()` in C, which uses `KBUILD_MODNAME`, the cases of a suite report the
        // module they belong to.
        match &module_name {
            Some(module) => write!(
                test_cases,
                "kernel::bindings::kunit_case {{
                     module_name: c\"{module}\".as_ptr().cast_mut().cast(),
                     ..kernel::kunit::kunit_case(kernel::c_str!(\"{case}\"), {wrapper})
                 }},"
            ),
            None => write!(
                test_cases,
                "kernel::kunit::kunit_case(kernel::c_str!(\"{case}\"), {wrapper}),"
            ),
        }
        .unwrap();
    }

    let num_cases = tests.len() + 1;
    let suite_tokens: TokenStream = format!(
        "
        static mut KUNIT_TEST_CASES: [kernel::bindings::kunit_case; {num_cases}] = [
            {test_cases}
            kernel::kunit::kunit_case_null(),
        ];

        kernel::kunit_unsafe_test_suite!({suite}, KUNIT_TEST_CASES);
        "
    )
    .parse()
    .unwrap();
    new_body.extend(suite_tokens);

    // The suite only exists if KUnit is built in: with `CONFIG_KUNIT=m`, code outside `kunit.ko`
    // cannot call it. `cfg(CONFIG_KUNIT)` would also hold for `m`.
    let mut out: TokenStream = "#[cfg(CONFIG_KUNIT=\"y\")]".parse().unwrap();
    out.extend(tokens);
    out.extend([TokenTree::Group(Group::new(Delimiter::Brace, new_body))]);
    out
}
