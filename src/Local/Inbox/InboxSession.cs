using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Approvals.Local.Actions;
using Microsoft.AspNetCore.Http;

namespace Approvals.Local.Inbox;

/// <summary>Who may use the inbox (which approves, denies and revokes as anyone in the local directory): whoever opened
/// it with the host's sign-in link, as Jupyter does — <c>serve</c> prints <c>…/inbox?token=…</c>; the page trades the
/// token for an HttpOnly, SameSite=Strict cookie and drops it from the address bar. Without either, every inbox route
/// answers 401 and changes nothing. The token lives owner-only in the data directory, so only whoever can read the data
/// directory can sign in, and a link stays good across restarts.</summary>
public sealed class InboxSession
{
    public const string CookieName = "inbox-session";
    public const string QueryName = "token";

    readonly byte[] token;

    InboxSession(string token)
    {
        Token = token;
        this.token = Encoding.ASCII.GetBytes(token);
    }

    public string Token { get; }

    public static string TokenFile(string dataDirectory) => Path.Combine(dataDirectory, "inbox", "sign-in-token");

    /// <summary>The data directory's inbox token, created (256 random bits, owner-only, create-if-absent) on first use.</summary>
    public static InboxSession Open(string dataDirectory)
    {
        var path = TokenFile(dataDirectory);
        OwnerOnly.Directory(dataDirectory);
        OwnerOnly.Directory(Path.GetDirectoryName(path)!);
        OwnerOnly.CreateAtomically(path, Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32))); // of two starters, one token wins
        return new InboxSession(File.ReadAllText(path).Trim());
    }

    /// <summary>The sign-in link for a host at <paramref name="baseAddress"/>.</summary>
    public Uri Link(Uri baseAddress) => new(baseAddress, $"inbox?{QueryName}={Token}");

    /// <summary>True when <paramref name="given"/> is the token (compared in constant time).</summary>
    public bool Matches(string? given) => given is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(given), token);

    /// <summary>The gate in front of every inbox route: null to go on; otherwise the answer (a redirect that sets the
    /// session cookie when the link's token is right, 401 when nothing proves the caller opened the link).</summary>
    public IResult? Check(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var query = http.Request.Query[QueryName];
        if (query.Count > 0)
        {
            if (query.Count == 1 && HttpMethods.IsGet(http.Request.Method) && Matches(query[0]))
            {
                http.Response.Cookies.Append(CookieName, Token, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/inbox", IsEssential = true });
                return Results.Redirect("/inbox", permanent: false, preserveMethod: false);
            }

            return Refused();
        }

        return Matches(http.Request.Cookies[CookieName]) ? null : Refused();
    }

    static IResult Refused() => Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Sign in to the inbox",
        detail: "Open the inbox with the sign-in link the host printed when it started (…/inbox?token=…); the token is also in the data directory, under inbox/sign-in-token.");
}
