// `Ref::map` and `RefMut::map` narrow a borrow to a part of the value; the pages stay open as
// long as the narrowed borrow lives.

use secrets_core::{Ref, RefMut, SecretBox, SecretString};

fn main() {
    let mut pair = SecretBox::<[u64; 2]>::new(|p| *p = [1, 2]).unwrap();
    let second: Ref<'_, u64> = Ref::map(pair.borrow(), |p| &p[1]);
    assert_eq!(*second, 2);
    drop(second);

    let mut first: RefMut<'_, u64> = RefMut::map(pair.borrow_mut(), |p| &mut p[0]);
    *first = 9;
    drop(first);
    assert_eq!(*pair.borrow(), [9, 2]);

    let password = SecretString::from_string(&mut String::from("hunter2")).unwrap();
    let head: Ref<'_, str> = Ref::map(password.borrow(), |text| &text[..4]);
    assert_eq!(&*head, "hunt");
}
