import Foundation

/// gzip streams made by Python's gzip module (level 9, mtime 0), for the
/// decoder tests: `squares` is dynamic Huffman, `hello` fixed Huffman,
/// `skewed` (Fibonacci symbol counts) a dynamic block with 11-bit codes,
/// past the 10-bit lookup table.
enum GzipFixtures {
  /// 3000 bytes, CRC-32 0x8f078370.
  static let squares = """
    H4sIAAAAAAACA+3V/U8SCAPAcZVzSmLiQi8nSKZiZvjCS6XZgFOZL6EiarLTK+eZqeTbiXCopZ1m6g1Fs6kwX9qxJER7ASxKMcEX
    GoZ6qYnIMAi4leZhavbT07M9f8Wzvv/Ddx87Ozt7B4CjE9DlsDvkKPSYf1AIOgIXm5hKvXy1lFnb1M7ljzxTvF41bdu7eiHQ+KSs
    QmbjXb5kaun9HggWSqDkMVt6H09rt5xhqLhfKpoHnmosP0AxpCs3up/MWZyOn6fSOaJXFmBgbG5dv1wP8IvOredPW93CKZXdLwxA
    JLmSO2F2P5NdL1z8GpjM6FfZfBPpfa92A8g1giUnTE7r2AcfUrVwDYwvHVh0jqT1zjufK7637BbNFL2DUZrke6iCgVXPpMaJg7Pl
    Q2ZEDu+tVzrnNZjUogIlNM2CLvypdk/teOOd3bcRRBvZiapVHqZ06YNKJPZxrSv+NLFD4h09kvHSPev+TkybLqRq1rtg9BB1cP8C
    7yOh3RjRso65tRpe/za8YRV9e/0s24S7uxk/cJAxDMobhzEWwlrMxHuAS89hrJXIrj3qU2jVGr7f8coMsvXfTNnxBitZ4nPTQpb6
    Nm5myoPbv+ZrovhHqs3p8pBuYIWBPBbCdWVZf1ZFCeFswG/GTBXuYWA3+ObuNQN1jijDCPy6Ic2O1Tslll911MUUVdwk4fk56enH
    6JEwUehQqChsGPUIK4mU4SaIM0nzF1dzTLTt3x1ugTvh/DApYTZt7ep2zaEO3wcRilQdbb/x6F/YlxRDuWMHQhy3UmTXFiBJ1JUD
    uShl1qfGY2LSRpXHg9i1SvfBmDWmhyjBWAd/lmnjhKtproIE8+2TM4WuwqRNDnaJBZfnuQxRdnnRZvZp7R+n5ln+qgr4VClUUQJV
    lvnM0P3mqoOXGrAGzk9bfWTAw1xPJSNYy47eGcw+omSFG3vIwBcVyI0eiutk9ZnNwVz4cnsySFmH+yKlY7ZE15BWQWGwRVCE/DBc
    htkZrcI7TjWneK705p3akl4nuv3Nywv9PN6UBn//qCbeUy9kEiHrQ1UJXiZxfTrCpujMjwBpRbVpJ/bVA5WJvrbZvkqS/77mfi0V
    5WKQ3SlJCLBbedJKi0cAdLIuRgYW8kkz0laWivawvRntqbkccwL0cUHKrcsnYbwdTGoxr6H4Iv4k5MCkkfE5NQUZ0WEwl8/vFiZG
    etnXiy+lEFD+ns57/+g0ilFhf2fzDXpRTmYy8TwWGeDzIxgI+GLbtBr12uVFjVo1rZyckI+PvfjW2Lh8YlI5rVJrFpe1eqN10/YF
    AAT/6BOAxJ4nJmfmFNFvNHf2C0cVGt0/e86e/ihCyqXi6+zekYmFd59dYGHRGQU1HL5MYzqAnMRfLG7gidUmB28MKb+OK134CDoR
    c7mmZ/SNzQOdWtY2ovkEwWYwumQ6ACKe1vpkxS4goeSOzOCCotbe1+z7kyr7Zr/9Vjmg3j+RVivSgiLyOxU2RHq92OSVUDW0DiEy
    hXrP+JpH7+FpTeOfQ/N4f7sRr0u3TuX1rnimNE854qtGdzBlwx+QRQJLcKHAirwm2sLQpV9wdUpQcvsyPHdw80z1pCulZwNZ8QJI
    7jGGs5RHsgd3otnaYIbSM/chgNy39RPHgG1YCq6e86PP+JQpoSUKaOkUvELlz5o/9Yf2NNsczdulDLnkyeGsJSxnM0noWjhz8rY5
    QeBKU4dzbJnP4HXGBJEHcy1m0L1yLfaBR9UGSXys8VOWEsUFlusSJQFtdkUrcWJEh2O5gfIS+9fRxn2aLlUR8cC341DN9tW1tFmC
    NIwP7wTfcvh9m2bKWb04nzRDnMDJIiXYR6jh/+02gn58WnruOWEyTpWySNX9ainZqXZshnT7CTAy4hzVcG33Jrg78CFOlWn8DcCG
    C6NUP1tZrtyQMbKhAtgdIk83Vx/hR2nyv7YHyzM3G32lZMtNHwnZ2nBclvlvK3LmimM/fq0K+pS61xW5woI9vwS4RzS3hC0wYON5
    oOGMg4H4zbs4E/vs+m30akP42/rw1VuY9ZYIYzvhI+/C/iD10GiB92xViK4tZud+lvtLBlJ/J9FBTPNfaY2zl5QE6bsoh5W1UTsj
    tKCNvmzvNx2p7uo/L4BmmxJAqhYS+DUn3estLwdhHio/ezDRmOS5OlCA2pM3UWDvRMxot+V7xeec53tpkc6LA6V48JqwmuTzYaw1
    B+O0JKghB+y+6qN/+03Vz0gO/LoorM8+426e4FaSkUDDi+5KSribdZpfnxvtB9DL++tyYwOBllciDp16/riTZe5J940rJAz0B4vm
    6UBzxS9xKJjzlnb6cW8LM49CCIWB9t4vTUn4dxuZhVlJeDTCy9V+27T6WvFshM9tb6plll69TE1NjMVFoEOC/I9Bj0LcD7sAnRwB
    DvZ2/+07bt9x+47bd9z+33D7D3CDB4+4CwAA
    """.replacingOccurrences(of: "\n", with: "")
  /// 26 bytes, CRC-32 0x2b465d87.
  static let hello = """
    H4sIAAAAAAACA8tIzcnJ11HIQKIUyvOLclK4AIddRisaAAAA
    """.replacingOccurrences(of: "\n", with: "")
  /// 6764 bytes, CRC-32 0xc37cc321.
  static let skewed = """
    H4sIAAAAAAACA01ZC5Ukuw67BB6BS2AJDIEh0ASKQBEoAkUgBELABEzABEzAXJ4lOb13zp7Z7vok/kqKZ1dV3vkk/nfPMPNaO6Ke
    Mt8ZeX2syquisvpyWeJD+oM3KnyXp/e7K5dn//i7Cj/9bARuFdaut2rVHbs/rvBwXPNetN/sBfE1cGkblu1rvXP/zNUVkWa0om8E
    /uG1XsX60+oLu4wWbqzq7/P25m2pvX3NsUzY7k+VP15/tF9lv5BtWPBZWG006Il/+x5CQYv62uMPF0+YGjCL8cLrm45m2xFvXrhm
    fCmNbpm8Z0CSvrTRuUvu8+YT+eobDd3cG1aP+728I+59vYOMPfEibbixaxs86z9x7xjbjG51tkwmuPtNf+gDbjtC7IXItQ39AG7u
    knPBd2hAR7tfCjiPhAYCHHzG6qOQta+hxV/utrlGIhRJD8qtU8US6jJAKIIPrl741Z7IRlsTcfd7/ekNGdCLpDZzPri6GjoTLIyI
    PZlAVJnPkIsshjaTxgWCxDyYW/uJrLGMtp77mLLpcFWZCoajsGdwr2DemVzVtNezc6x73G0xKtgGtlsnBaUC81QxiqTMYG6Yn26M
    u2Zng3ehboi9LiTDohd+kq1i1R0WC4+jzNv6lzG/0QXMe9T3J3Mi43w4d+dPAZoKUVOjSrEzbDd03C9vv906K9GlrlIINk/Xirur
    NfNKhb2v9adlwSV5t/PC4jJEv0uy30NkrIgU6jLUEl7grzbK+wLafCocq9wMvBF4WHKdlb6NymDoledg58Mmw+5YuhPcC19cpKYY
    WKmBrfqn7VUBof4FBT6rYWk01EDVkx9VCX2xWW8bq+u2bRuJ4ZvCE9Ygvl1OL5QGf1n93QfhlyAOYYFzC4UPX3IRWFn+O9UUuWF5
    5uSzo1kf+JeAXeCW4xOWvjppekngRuCTj+ykzXL8wE9AAp69unBU+l1VEwohfa5FWCvtipcu5E6YhzoGosgllkfcnnpXwcZK4T8k
    i2KHM7zgB6Ad+wgQZOzTBIrC+TYIeXqX4IFdyBuGIG9RxlunfFE+d6gKq64Onm/0WAftRXXtK4VjVo+pLRYWfurAHLNuPkHDta1w
    qR+7jh3/I/k2dS/AR8u+jEgMFfh0P9kGdRy0D4HHCmA0bsHKSyFbF8Du2CfdRymgEYgASDE600t52PS3F3EEjXuCnxp4+j8mKgS2
    woHoYsp1AjVFm2y5pvWOgXlYnLCvGuijhW2uAWR9qTXypV+0C8ZvENbebBmRYX4IvP2LcKiyYD6DkBf6nosZ3Ww9+Ihqh4JgNXb9
    2gCXOknwEJtPoTafyQ5iWApzwYyyfUq+iEZwRjB3E+39FDYbPNBnD/LaodzsUVjY0EsiDv+wP83FP2DFoZsUO3ObpQqkvMh8Og2E
    fCU3T6s4cUUcSDB2ahvRASJJvEMBO1uRBN/VAr2RL3OCLHWqVj4xYFlC2X74qsN32g9FC1zspW7R9blOsFc1eMhnlR1L92/vskcH
    /Z5252FQVObchkqLqie3k+H9Z5Vdm+5SgZGNACmMnG9sSY1i3BPPob0Cxd2qkbVMydCV/fJTW/xQB1G5sIE3lCbdBGnh+ku5OdFG
    oUIhihWSckYise8+bLXdJKiEKMjSLYP6qAVG1yYOYHZ6PIUdLgEjaUtrX0m4jUbbyOXi7aeRQVGksdKE3o6SyWRqV9taqi44tRAO
    qVtvRMNmkwzKhy0QfjYEUkIaqdFHjtHUVql7iJ/lSbivcSIohViR7xt83pQghQm8hByPVFE8E2hUoBjqIEhLMhQuN9KaGKI7Gi/h
    fRLIi9UG4M0leiAb1JXW6L1jOILYm2MxFvOYAmHD7jw4sQhDi83LjkiXeL43lRjX2m+RNwWsK175EdQfrJPOQW4jmxQF+oA+Mbdj
    +W/+HhXVj774/XgokEhNrmE7LOciNaKbdJJrYeUb9zpmlGp7st5v3qSVFIpBMzYQD3y9cYBBByxA53MLX9g4JKbuqxAGjOdb7/iD
    IxjQL76QEIRIHmUeHrl41oI8iStAseS1+6/Sb+AgOJLbcaaBXO/f9xJwCN9EX676hEoUlMN/OoLA8rC2+jiQ1N8bKVN0KLrUm5v8
    QKVAmnE/NEwtnOxIYVSHDeqR1bpqxEBQFnZbA/PBViRbdhRZwMhZ/aTEKdXjrdPJVmcpXX4nkX6xWdaHYeKZZbAB354QNOYhVZ1L
    QGaSHyHBFTzrgreANHNr2oMhRZ/ZViw9Z9MQW/uhKJ1H2EI/dTinBs2les0P28yRJNSFDtHAIHdIwPPEyuHqj2RqF3a71yWerc3o
    CcpiHQVdxAcklpXfqJwxsrKTRDZEwuk5EB7FugXcgCchCsVcobi/Ijy22lZ77HzqHDZVAs3rHTucZgAyCWQZgSqT+ht3gHoWWgTP
    WCjyV8p0qVc6BvekCgDNCmdnEAxiqIhRXuolhXhhrR8mHnVbfzTFwGAiTu/TA2YyiTgx0oNSlk7LXqf2fPJrP7alP60V8iZ2dBM8
    0O7QdBS7ALd7+OnbxFAjf6YqS3Spw5kYSM/9R1SAxHik68bziENaFIaRcc6JTWAx5eeqoUDRQ/q8PnHSFIaqdXSDZKVg2mjUhh4Y
    FcLc4SQzkq/r4yKJuKxwkiStwsPtPUHjQYV1J9NoLwkiBpGdKmBEyF87+JYs/ysmdYOwtW64/SuMaXQDvjpSaMJxHWjJJR6/RT9H
    9yiUKlGX0nCkKk5sg9qBh3fW0Yh4YwfktmMpm5sEE3ES9BylwSZdmYN1AjkClrQzbcTcChMrHW1kVHBxAHwXEbOj4hc8oHF7LRNh
    iTvrCIw5lonjTalnkYzQyXsnqbGGTULcCEnugpMj9dUGa3GWYP6//vIPFLqO+KnDM5zasEc1WBoKpUIDOc/xS5Jn4ivdNe/yE1Zq
    v6c0T2P6SWKRX1U2fWcC9FZOSnpQz5zTmVNC8mKzwy0V7jkMkqTQi3hOafBtZSAyp141KpL4SFhkBJcOXDg8aUwSMyFqwSuKUwba
    72f5wwlVKrBYaioaTEa166O5fre62p9b1DdG6rTE38GBgLGzMUHjXJBysN980dIHPnTEDZ0+dYpR2W7OGZhti9FhesEU4b5nmNma
    xrtineBc2EtTTwQDme5uy5E7NeLKwBMj7GoGTz46I0nsThUPSUXuEZW2G28fPe1De7YduiV2b3EulGQn4WUMNxupSWzO8S+rp2PA
    kUi/9BHhJohBbrwaNPDQyZMxJgIqUxx7SZ5Jca9pz4vhlXP+JrIgjDCoQI91SEaOchiNUquSmOEchs3E+uIZoM5oux8Hfwg7dY71
    GLP+qowjcTUk35qksclmWinFrzmsncM3GYxVfI/WbthoEcVZnwfVhnMeNs21OP2VdplxKFuU5Hra9FAHuMDPbF9C6++km2qOPMx6
    nfkajns6PkoYUJXBWmtxgnENAkQ5eQ0920EMTlZfUo1mp+/3RIqqXnOaWDLog1kFQFBdvIXaWHtvHEb3b2muRvWJD3kDqI1dTDrg
    gROTK6LOmRgT9owDkDmA1RocusJJejECm8Vmh8uWa9Ci8QTTbZL0nFSQy3sv019Y6iu8ipMWTGPlK7vEj5bAPCRmPC31V+evEs7D
    CgkbmTa7Yykeou/Fue/rOX+o2C5tVPY9VwBGZr6XOePldmtZen5nDhBceBKnoUYGngp87nH3R38LoLb4PyHDfMNsGgAA
    """.replacingOccurrences(of: "\n", with: "")
}
