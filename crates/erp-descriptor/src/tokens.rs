//! Writing descriptors back as the Rust expressions that build them, for the generator.
//!
//! Names are written unqualified (`Paging::PageNumber { .. }`): generated files import the
//! descriptor types with `use erp_runtime::descriptor::*;`. Each impl sits here rather than
//! beside its type so that the plain crate has no dependencies; a new variant that is not
//! written here fails to compile (the matches are exhaustive).

use proc_macro2::TokenStream;
use quote::quote;

use crate::*;

/// A descriptor value that can be written as Rust source.
pub trait Emit {
    /// The expression that builds `self`.
    fn emit(&self) -> TokenStream;
}

impl Emit for &'static str {
    fn emit(&self) -> TokenStream {
        quote!(#self)
    }
}

impl Emit for u64 {
    fn emit(&self) -> TokenStream {
        quote!(#self)
    }
}

impl Emit for bool {
    fn emit(&self) -> TokenStream {
        quote!(#self)
    }
}

impl<T: Emit> Emit for Option<T> {
    fn emit(&self) -> TokenStream {
        match self {
            Some(v) => {
                let v = v.emit();
                quote!(Some(#v))
            }
            None => quote!(None),
        }
    }
}

impl<T: Emit> Emit for &'static [T] {
    fn emit(&self) -> TokenStream {
        let items = self.iter().map(Emit::emit);
        quote!(&[#(#items),*])
    }
}

impl<A: Emit, B: Emit> Emit for (A, B) {
    fn emit(&self) -> TokenStream {
        let (a, b) = (self.0.emit(), self.1.emit());
        quote!((#a, #b))
    }
}

impl Emit for Method {
    fn emit(&self) -> TokenStream {
        match self {
            Method::Get => quote!(Method::Get),
            Method::Post => quote!(Method::Post),
            Method::Put => quote!(Method::Put),
            Method::Patch => quote!(Method::Patch),
            Method::Delete => quote!(Method::Delete),
        }
    }
}

impl Emit for WireFormat {
    fn emit(&self) -> TokenStream {
        match self {
            WireFormat::Json => quote!(WireFormat::Json),
            WireFormat::Xml => quote!(WireFormat::Xml),
        }
    }
}

impl Emit for BoolEncoding {
    fn emit(&self) -> TokenStream {
        match self {
            BoolEncoding::Native => quote!(BoolEncoding::Native),
            BoolEncoding::OneZero => quote!(BoolEncoding::OneZero),
        }
    }
}

impl Emit for NestedLists {
    fn emit(&self) -> TokenStream {
        match self {
            NestedLists::Plain => quote!(NestedLists::Plain),
            NestedLists::Wrapped => quote!(NestedLists::Wrapped),
        }
    }
}

impl Emit for BodyKind {
    fn emit(&self) -> TokenStream {
        match self {
            BodyKind::None => quote!(BodyKind::None),
            BodyKind::Structured => quote!(BodyKind::Structured),
            BodyKind::Form => quote!(BodyKind::Form),
            BodyKind::Multipart => quote!(BodyKind::Multipart),
            BodyKind::Bytes { content_type } => {
                let content_type = content_type.emit();
                quote!(BodyKind::Bytes { content_type: #content_type })
            }
        }
    }
}

impl Emit for Returns {
    fn emit(&self) -> TokenStream {
        match self {
            Returns::None => quote!(Returns::None),
            Returns::Item => quote!(Returns::Item),
            Returns::ItemOrEmpty => quote!(Returns::ItemOrEmpty),
            Returns::List => quote!(Returns::List),
            Returns::Bytes => quote!(Returns::Bytes),
            Returns::ByteStream => quote!(Returns::ByteStream),
            Returns::Text => quote!(Returns::Text),
        }
    }
}

impl Emit for ListEnvelope {
    fn emit(&self) -> TokenStream {
        match self {
            ListEnvelope::DataField { key, total } => {
                let total = total.emit();
                quote!(ListEnvelope::DataField { key: #key, total: #total })
            }
            ListEnvelope::ResourceRoot {
                total,
                page,
                per_page,
            } => {
                let (total, page, per_page) = (total.emit(), page.emit(), per_page.emit());
                quote!(ListEnvelope::ResourceRoot { total: #total, page: #page, per_page: #per_page })
            }
            ListEnvelope::AnyRoot => quote!(ListEnvelope::AnyRoot),
            ListEnvelope::OData => quote!(ListEnvelope::OData),
            ListEnvelope::Bare => quote!(ListEnvelope::Bare),
        }
    }
}

impl Emit for ItemEnvelope {
    fn emit(&self) -> TokenStream {
        match self {
            ItemEnvelope::DataField(key) => quote!(ItemEnvelope::DataField(#key)),
            ItemEnvelope::FirstOfList(key) => quote!(ItemEnvelope::FirstOfList(#key)),
            ItemEnvelope::ResourceRoot => quote!(ItemEnvelope::ResourceRoot),
            ItemEnvelope::AnyRoot => quote!(ItemEnvelope::AnyRoot),
            ItemEnvelope::OData => quote!(ItemEnvelope::OData),
            ItemEnvelope::Bare => quote!(ItemEnvelope::Bare),
        }
    }
}

impl Emit for RequestEnvelope {
    fn emit(&self) -> TokenStream {
        match self {
            RequestEnvelope::Bare => quote!(RequestEnvelope::Bare),
            RequestEnvelope::ResourceRoot => quote!(RequestEnvelope::ResourceRoot),
        }
    }
}

impl Emit for PageSize {
    fn emit(&self) -> TokenStream {
        let PageSize {
            param,
            default,
            max,
        } = self;
        quote!(PageSize { param: #param, default: #default, max: #max })
    }
}

impl Emit for LinkSource {
    fn emit(&self) -> TokenStream {
        match self {
            LinkSource::Body(path) => quote!(LinkSource::Body(#path)),
            LinkSource::LinkHeader => quote!(LinkSource::LinkHeader),
        }
    }
}

impl Emit for CursorSource {
    fn emit(&self) -> TokenStream {
        match self {
            CursorSource::Body(path) => quote!(CursorSource::Body(#path)),
            CursorSource::LastItem(field) => quote!(CursorSource::LastItem(#field)),
        }
    }
}

impl Emit for Paging {
    fn emit(&self) -> TokenStream {
        match self {
            Paging::None => quote!(Paging::None),
            Paging::PageNumber {
                page_param,
                first_page,
                size,
                concurrency,
            } => {
                let size = size.emit();
                quote!(Paging::PageNumber { page_param: #page_param, first_page: #first_page, size: #size, concurrency: #concurrency })
            }
            Paging::OffsetLimit {
                offset_param,
                size,
                concurrency,
            } => {
                let size = size.emit();
                quote!(Paging::OffsetLimit { offset_param: #offset_param, size: #size, concurrency: #concurrency })
            }
            Paging::NextLink { link, size } => {
                let (link, size) = (link.emit(), size.emit());
                quote!(Paging::NextLink { link: #link, size: #size })
            }
            Paging::Cursor {
                param,
                cursor,
                has_more,
                size,
            } => {
                let (cursor, has_more, size) = (cursor.emit(), has_more.emit(), size.emit());
                quote!(Paging::Cursor { param: #param, cursor: #cursor, has_more: #has_more, size: #size })
            }
        }
    }
}

impl Emit for ResetUnit {
    fn emit(&self) -> TokenStream {
        match self {
            ResetUnit::EpochSeconds => quote!(ResetUnit::EpochSeconds),
            ResetUnit::EpochMillis => quote!(ResetUnit::EpochMillis),
            ResetUnit::DeltaSeconds => quote!(ResetUnit::DeltaSeconds),
        }
    }
}

impl Emit for WhenExhausted {
    fn emit(&self) -> TokenStream {
        match self {
            WhenExhausted::Wait => quote!(WhenExhausted::Wait),
            WhenExhausted::FailFast => quote!(WhenExhausted::FailFast),
        }
    }
}

impl Emit for RateWindow {
    fn emit(&self) -> TokenStream {
        let RateWindow {
            name,
            limit_header,
            remaining_header,
            reset_header,
            reset_unit,
            seconds,
            when_exhausted,
        } = self;
        let (limit_header, remaining_header, reset_header) = (
            limit_header.emit(),
            remaining_header.emit(),
            reset_header.emit(),
        );
        let (reset_unit, seconds, when_exhausted) =
            (reset_unit.emit(), seconds.emit(), when_exhausted.emit());
        quote! {
            RateWindow {
                name: #name,
                limit_header: #limit_header,
                remaining_header: #remaining_header,
                reset_header: #reset_header,
                reset_unit: #reset_unit,
                seconds: #seconds,
                when_exhausted: #when_exhausted,
            }
        }
    }
}

impl Emit for VendorInfo {
    fn emit(&self) -> TokenStream {
        let VendorInfo {
            name,
            title,
            base_url,
            base_url_variables,
            booleans,
            nested_lists,
            list_envelope,
            item_envelope,
            request_envelope,
            success_error_paths,
            rate_limits,
            error_message_paths,
            error_code_paths,
            request_id_header,
        } = self;
        let (base_url_variables, nested_lists) = (base_url_variables.emit(), nested_lists.emit());
        let (booleans, list_envelope, item_envelope, request_envelope) = (
            booleans.emit(),
            list_envelope.emit(),
            item_envelope.emit(),
            request_envelope.emit(),
        );
        let (success_error_paths, rate_limits) = (success_error_paths.emit(), rate_limits.emit());
        let (error_message_paths, error_code_paths) =
            (error_message_paths.emit(), error_code_paths.emit());
        let request_id_header = request_id_header.emit();
        quote! {
            VendorInfo {
                name: #name,
                title: #title,
                base_url: #base_url,
                base_url_variables: #base_url_variables,
                booleans: #booleans,
                nested_lists: #nested_lists,
                list_envelope: #list_envelope,
                item_envelope: #item_envelope,
                request_envelope: #request_envelope,
                success_error_paths: #success_error_paths,
                rate_limits: #rate_limits,
                error_message_paths: #error_message_paths,
                error_code_paths: #error_code_paths,
                request_id_header: #request_id_header,
            }
        }
    }
}

/// A [`ResourceInfo`] whose vendor is the `static` named by `vendor` (e.g. `crate::VENDOR`).
pub fn resource_info(resource: &ResourceInfo, vendor: &TokenStream) -> TokenStream {
    let ResourceInfo {
        vendor: _,
        name,
        wire_plural,
    } = resource;
    quote!(ResourceInfo { vendor: &#vendor, name: #name, wire_plural: #wire_plural })
}

/// An [`Operation`] whose resource is the `static` named by `resource`.
pub fn operation(op: &Operation, resource: &TokenStream) -> TokenStream {
    let Operation {
        resource: _,
        name,
        method,
        path,
        root,
        format,
        body,
        returns,
        accept,
        headers,
        paging,
        idempotent,
        redact,
        key,
        idempotency_key,
    } = op;
    let (method, format, body, returns) =
        (method.emit(), format.emit(), body.emit(), returns.emit());
    let (headers, paging, redact) = (headers.emit(), paging.emit(), redact.emit());
    let (key, idempotency_key) = (key.emit(), idempotency_key.emit());
    quote! {
        Operation {
            resource: &#resource,
            name: #name,
            method: #method,
            path: #path,
            root: #root,
            format: #format,
            body: #body,
            returns: #returns,
            accept: #accept,
            headers: #headers,
            paging: #paging,
            idempotent: #idempotent,
            redact: #redact,
            key: #key,
            idempotency_key: #idempotency_key,
        }
    }
}
