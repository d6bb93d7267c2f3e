// A real OpenID Connect provider for crosslink's single sign-on tests and `make up`'s demo:
// panva/node-oidc-provider (certified by the OpenID Foundation) with its development
// interactions, where any name signs in and its `sub` is that name. Never for production.
import Provider from 'oidc-provider';

const { ISSUER, PORT, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI } = process.env;

const provider = new Provider(ISSUER, {
  clients: [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    redirect_uris: [REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  findAccount: async (ctx, id) => ({ accountId: id, claims: async () => ({ sub: id }) }),
});
provider.proxy = false;

provider.listen(Number(PORT), '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${ISSUER}`);
});
