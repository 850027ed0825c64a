'use strict';
// The value-mapping step: a searchable option picker per value (select2, bundled with the Django
// admin) that asks the server for 30 options at a time, so attributes with thousands stay usable;
// and the "create as a new option" box, which swaps the picker for the new code and its labels.
{
    const $ = django.jQuery;

    function picker(element) {
        $(element).select2({
            width: '22em',
            allowClear: true,
            placeholder: element.dataset.placeholder || 'Choose a PIM option',
            ajax: {
                url: element.dataset.url,
                delay: 200,
                data: (params) => ({attribute: element.dataset.attribute, term: params.term, page: params.page || 1}),
            },
        });
    }

    function toggleCreate(box) {
        const row = box.closest('tr');
        row.querySelector('.pick-existing').hidden = box.checked;
        row.querySelector('.create-new').hidden = !box.checked;
    }

    $(function() {
        $('select.option-picker').each((i, element) => picker(element));
        document.querySelectorAll('input.create-toggle').forEach((box) => {
            toggleCreate(box);
            box.addEventListener('change', () => toggleCreate(box));
        });
    });
}
