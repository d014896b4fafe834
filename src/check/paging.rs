//! The paging checks of a listing: the total where the mapping says, the size parameter honoured, the largest
//! page served whole, and the next page (by number, offset, cursor or link) continuing the first.

use super::Findings;
use super::live::{Listed, Probe, SMALL, chain, numbers_in};
use crate::mapping::paging::{Next, Paging, Style, Total};
use serde_json::Value;

impl Probe<'_> {
    pub(super) fn total(
        &self,
        f: &mut Findings,
        body: &Value,
        headers: &http::HeaderMap,
        served: usize,
    ) -> Option<u64> {
        let paging = &self.res().paging;
        let total = paging.total(body, headers);
        let check = self.check("listing total");
        let header = headers
            .keys()
            .map(http::HeaderName::as_str)
            .find(|n| n.contains("total") || n.contains("count"));
        let number = numbers_in(body).into_iter().next();
        match (&paging.total, total) {
            (Total::Count, _) => f.pass(
                check,
                self.key("paging"),
                "no total declared: the gateway counts by reading the listing (within limits.scan_limit)",
            ),
            (Total::Pointer(p), None) => {
                let fix = match (number, header) {
                    (Some(found), _) => {
                        format!("set total = {found:?} (a number in the answer), or remove total to count")
                    }
                    (None, Some(h)) => format!("replace total with total_header = {h:?} (the product sends it)"),
                    (None, None) => "the answer holds no number: remove total (the gateway then counts)".to_owned(),
                };
                f.fail(
                    check,
                    self.key("paging.total"),
                    format!("no number at {:?}", p.as_str()),
                    fix,
                );
            }
            (Total::Header(h), None) => {
                let fix = match (header, number) {
                    (Some(n), _) => format!("set total_header = {n:?}"),
                    (None, Some(found)) => {
                        format!("replace total_header with total = {found:?} (a number in the answer)")
                    }
                    (None, None) => "the product sends no total: remove total_header (the gateway then counts)".into(),
                };
                f.fail(
                    check,
                    self.key("paging.total_header"),
                    format!("no number in a {h} header"),
                    fix,
                );
            }
            (_, Some(t)) if t < served as u64 => f.fail(
                check,
                self.key(total_key(&paging.total)),
                format!("the total {t} is less than the {served} object(s) on the page"),
                "point total at the number of all objects, not of the page",
            ),
            (_, Some(t)) => f.pass(
                check,
                self.key(total_key(&paging.total)),
                format!("{t} object(s) in all"),
            ),
        }
        total
    }

    /// The size parameter is honoured, the largest page is served whole, and the next page continues the first.
    pub(super) async fn page_size(&self, f: &mut Findings, total: Option<u64>, listed: &Listed) {
        let paging = &self.res().paging;
        let served = listed.objects.len();
        let check = self.check("page size");
        if paging.style == Style::None {
            match total {
                Some(t) if t > served as u64 => f.fail(
                    check,
                    self.key("paging.style"),
                    format!("one call served {served} of {t} objects: the product pages"),
                    "declare the product's paging (page, offset, cursor or next_link)",
                ),
                _ => f.pass(
                    check,
                    self.key("paging.style"),
                    format!("one call served all {served} object(s)"),
                ),
            }
            return;
        }
        if let Some(t) = total
            && t > served as u64
            && served < paging.max_size as usize
        {
            f.fail(
                self.check("largest page"),
                self.key("paging.max_size"),
                format!(
                    "asked for {} per page, the product served {served} of {t}",
                    paging.max_size
                ),
                format!("set max_size = {served}"),
            );
        }
        let small_query = page_query(paging, SMALL);
        let (call, answer) = self.send(&self.res().endpoints.list, None, &small_query).await;
        let small = match answer.map(|r| (r.status.is_success(), r.json())) {
            Ok((true, Ok(body))) => body,
            other => {
                let detail = match other {
                    Ok((_, Err(e))) => e.to_string(),
                    Err(e) => chain(&e),
                    Ok(_) => "not a success".into(),
                };
                f.fail(
                    check,
                    self.key("paging.size_param"),
                    format!("{call}: {detail}"),
                    "check size_param",
                );
                return;
            }
        };
        let got = paging.items(&small).map(|i| i.len()).unwrap_or(0);
        if got > SMALL as usize {
            f.fail(
                check,
                self.key("paging.size_param"),
                format!("{call} served {got} objects: the product ignores the size parameter"),
                "set size_param to the product's page-size parameter",
            );
            return;
        }
        f.pass(check, self.key("paging.size_param"), format!("{call} served {got}"));
        if listed.size <= u64::from(SMALL) {
            f.note(
                self.check("next page"),
                self.key("paging"),
                format!(
                    "only {} object(s): walking past the first page was not tried",
                    listed.size
                ),
                format!("run again once the product holds more than {SMALL}"),
            );
            return;
        }
        self.next_page(f, &small, listed).await;
    }

    /// The page after the first (of [`SMALL`] objects) continues it.
    async fn next_page(&self, f: &mut Findings, first: &Value, listed: &Listed) {
        let res = self.res();
        let paging = &res.paging;
        let check = self.check("next page");
        let first_ids: Vec<String> = paging
            .items(first)
            .unwrap_or_default()
            .iter()
            .filter_map(|o| res.id_of(o).ok())
            .collect();
        let (key, next) = match (&paging.style, paging.next(first)) {
            (Style::Page { page, size }, _) => {
                let q = vec![(page.clone(), "2".into()), (size.clone(), SMALL.to_string())];
                ("paging.page_param", self.send(&res.endpoints.list, None, &q).await)
            }
            (Style::Offset { offset, limit }, _) => {
                let q = vec![(offset.clone(), SMALL.to_string()), (limit.clone(), SMALL.to_string())];
                ("paging.page_param", self.send(&res.endpoints.list, None, &q).await)
            }
            (_, Next::Query(q)) => ("paging.cursor_param", self.send(&res.endpoints.list, None, &q).await),
            (_, Next::Link(link)) => {
                let outcome = self.api.list_link(&link).await;
                match outcome {
                    Ok((body, _)) => {
                        return self.continues(
                            f,
                            &check,
                            "paging.next",
                            &format!("GET {link}"),
                            &body,
                            &first_ids,
                            listed,
                        );
                    }
                    Err(e) => {
                        return f.fail(
                            check,
                            self.key("paging.next"),
                            format!("GET {link}: {}", e.detail),
                            "check next",
                        );
                    }
                }
            }
            (_, Next::End) => {
                let next = match &paging.style {
                    Style::Cursor { next, .. } | Style::NextLink { next, .. } => next.as_str(),
                    _ => "",
                };
                return f.fail(
                    check,
                    self.key("paging.next"),
                    format!(
                        "no next page at {next:?} on a page of {SMALL}, though the listing has {}",
                        listed.size
                    ),
                    "point next at where the answer gives the next cursor or link",
                );
            }
        };
        match next {
            (call, Ok(resp)) if resp.status.is_success() => match resp.json() {
                Ok(body) => self.continues(f, &check, key, &call, &body, &first_ids, listed),
                Err(e) => f.fail(
                    check,
                    self.key(key),
                    format!("{call}: {e}"),
                    "check the paging parameters",
                ),
            },
            (call, Ok(resp)) => {
                let detail = self.api.error(&resp).detail;
                f.fail(
                    check,
                    self.key(key),
                    format!("{call} answered {}: {detail}", resp.status.as_u16()),
                    "check the paging parameters",
                )
            }
            (call, Err(e)) => f.fail(
                check,
                self.key(key),
                format!("{call}: {}", chain(&e)),
                "check the paging parameters",
            ),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn continues(
        &self,
        f: &mut Findings,
        check: &str,
        key: &str,
        call: &str,
        body: &Value,
        first_ids: &[String],
        listed: &Listed,
    ) {
        let res = self.res();
        let ids: Vec<String> = res
            .paging
            .items(body)
            .unwrap_or_default()
            .iter()
            .filter_map(|o| res.id_of(o).ok())
            .collect();
        let expected = listed.objects.get(SMALL as usize).and_then(|o| res.id_of(o).ok());
        if ids.is_empty() {
            f.fail(
                check,
                self.key(key),
                format!("{call} served no object, though the listing has {}", listed.size),
                "check the paging parameters",
            );
        } else if ids.iter().any(|id| first_ids.contains(id)) {
            f.fail(
                check,
                self.key(key),
                format!("{call} repeats the first page: the product ignores the parameter"),
                "set the parameter the product pages by",
            );
        } else if expected.as_ref().is_some_and(|e| ids.first() != Some(e)) {
            f.fail(
                check,
                self.key(key),
                format!(
                    "{call} does not continue the first page (expected {:?} first, got {:?})",
                    expected.unwrap_or_default(),
                    ids[0]
                ),
                "check the paging style: offset counts objects from 0, page counts pages from 1",
            );
        } else {
            f.pass(check, self.key(key), format!("{call} continues the first page"));
        }
    }
}

/// The paging query of the first page, `size` objects long.
pub(super) fn page_query(paging: &Paging, size: u32) -> Vec<(String, String)> {
    match &paging.style {
        Style::Page { page, size: s } => vec![(page.clone(), "1".into()), (s.clone(), size.to_string())],
        Style::Offset { offset, limit } => vec![(offset.clone(), "0".into()), (limit.clone(), size.to_string())],
        Style::Cursor { size: s, .. } | Style::NextLink { size: s, .. } => vec![(s.clone(), size.to_string())],
        Style::None => Vec::new(),
    }
}

fn total_key(total: &Total) -> &'static str {
    match total {
        Total::Header(_) => "paging.total_header",
        Total::Pointer(_) | Total::Count => "paging.total",
    }
}
