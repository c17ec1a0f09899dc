/** The logged-in shopper, as the token says. */
export interface Shopper {
  id: number;
  nickName: string;
  icon: string;
}
