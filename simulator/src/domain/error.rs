//! What can go wrong in the simulated world, independent of any provider's wording.

/// A domain failure; each provider maps these to its own codes in one table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// No account has these credentials.
    #[error("unknown account")]
    UnknownAccount,
    /// The account is blocked.
    #[error("account blocked")]
    AccountBlocked,
    /// The balance does not cover the charge.
    #[error("balance {available} below charge {needed}")]
    InsufficientBalance {
        /// What the request costs.
        needed: u64,
        /// What the account has.
        available: u64,
    },
}

/// Takes `cost` from `balance`, or says why not.
pub fn charge(balance: &mut u64, cost: u64) -> Result<(), Error> {
    if *balance < cost {
        return Err(Error::InsufficientBalance {
            needed: cost,
            available: *balance,
        });
    }
    *balance -= cost;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charge_never_goes_negative() {
        let mut balance = 5;
        assert_eq!(
            charge(&mut balance, 6),
            Err(Error::InsufficientBalance {
                needed: 6,
                available: 5
            })
        );
        assert_eq!(balance, 5);
        assert_eq!(charge(&mut balance, 5), Ok(()));
        assert_eq!(balance, 0);
    }
}
